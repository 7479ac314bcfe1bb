package sqlite

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/medtwin/medtwin/store/internal/sqlq"
)

type dialect struct{}

func (dialect) Placeholder(n int) string { return "?" + strconv.Itoa(n) }
func (dialect) Time(t time.Time) any     { return t.UnixMicro() }
func (dialect) Prefix(col, p string) string {
	return "substr(" + col + ", 1, length(" + p + ")) = " + p
}
func (dialect) IDList(col, p string, ids []int64) (string, any) {
	b, _ := json.Marshal(ids)
	return col + " IN (SELECT value FROM json_each(" + p + "))", string(b)
}

func newQuery() *sqlq.Query { return &sqlq.Query{D: dialect{}} }
