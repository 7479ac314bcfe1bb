// Command medtwin ingests a hospital's clinical, genomic and imaging files
// into one longitudinal patient timeline, computes digital twins from it and
// serves both to clinicians (GraphQL) and data scientists (Arrow).
//
// The command-line contract is ../shared/CLI.md: subcommands ingest, export,
// twin, serve, evaluate, audit, synth, demo; global --db; exit codes 0
// success, 1 failure, 2 usage error, 3 finished with rejected records.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
)

// Exit codes scripts rely on.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitRejected = 3
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// app holds the global options and I/O of one invocation (no globals, so
// tests run commands in-process).
type app struct {
	dsn      string
	quiet    bool
	logLevel string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	log      *slog.Logger
}

func (a *app) openStore(ctx context.Context) (store.Store, error) {
	s, err := backend.OpenConfig(ctx, backend.Config{DSN: a.dsn, Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	return s, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "medtwin:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "medtwin:", err)
	if isUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// isUsage recognises cobra's argument and flag errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "required flag", "arg(s)"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "medtwin",
		Short: "Patient timelines and digital twins from clinical, genomic and imaging data",
		Long: `medtwin turns a hospital's scattered data about a patient — FHIR clinical records,
VCF/MAF variants, DICOM imaging and imaging-AI feature tables — into one longitudinal,
columnar patient timeline (Apache Arrow, MEDS-compatible), computes digital twins from it
(liver, pneumonia, oncology) and serves both through GraphQL and Arrow Flight.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
				return usageErr("--log-level: %v", err)
			}
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.dsn, "db", envOr("MEDTWIN_DB", backend.DefaultDSN), "store: sqlite:PATH or postgres://user@host:port/db?… (env MEDTWIN_DB)")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: exitUsage, err: err} })
	for _, c := range commands(a) {
		root.AddCommand(c)
	}
	return root
}

// commands lists the subcommands in the order --help shows them.
func commands(a *app) []*cobra.Command {
	return []*cobra.Command{
		newIngestCmd(a),
		newExportCmd(a),
		newTwinCmd(a),
		newServeCmd(a),
		newEvaluateCmd(a),
		newAuditCmd(a),
		newRunsCmd(a),
		newMaintainCmd(a),
		newSynthCmd(a),
		newDemoCmd(a),
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
