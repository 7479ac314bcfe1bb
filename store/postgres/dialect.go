package postgres

import (
	"strconv"
	"time"

	"github.com/medtwin/medtwin/store/internal/sqlq"
)

// dialect adapts the shared WHERE builder to PostgreSQL: $n placeholders,
// timestamptz parameters, int8[] id lists.
type dialect struct{}

func (dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (dialect) Time(t time.Time) any     { return t }

// Prefix matches byte-wise (the code columns use the "C" collation). The
// range lets a b-tree on col serve the match; U+10FFFF, a noncharacter,
// bounds every string that starts with p; starts_with makes it exact.
func (dialect) Prefix(col, p string) string {
	return "(" + col + " >= " + p + " AND " + col + " < " + p + " || chr(1114111) AND starts_with(" + col + ", " + p + "))"
}

func (dialect) IDList(col, p string, ids []int64) (string, any) {
	if ids == nil {
		ids = []int64{}
	}
	return col + " = ANY(" + p + "::bigint[])", ids
}

func newQuery() *sqlq.Query { return &sqlq.Query{D: dialect{}} }
