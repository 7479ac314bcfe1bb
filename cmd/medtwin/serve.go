package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/flightsvc"
	"github.com/medtwin/medtwin/graph"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/server"
)

func newServeCmd(a *app) *cobra.Command {
	var (
		addr, tokens, keyFile   string
		flightAddr, maxSubjects string
		flightEndpoints         int
		jwt                     auth.JWTConfig
		dev                     bool
		limits                  graph.Limits
	)
	d := graph.DefaultLimits()
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve GraphQL, the /ui web view, Arrow Flight, Arrow over HTTP, /healthz and /metrics",
		Long: `Serve the clinician GraphQL API at /graphql, the clinician web view at /ui/ (it reads
/graphql with the token pasted into its login form), Arrow over HTTP at /arrow/{dataset},
/healthz and /metrics (Prometheus) on --addr, and Arrow Flight on --flight-addr.

Every request needs a bearer token: from a tokens file (--tokens, CSV with the header
token,role,name; roles clinician, researcher, admin) and/or JWTs of an OIDC issuer checked
against its JWKS (--jwks with --oidc-issuer). Researchers see pseudonymised data: give a
stable key with --pseudonym-key (a file holding 32+ bytes as hex or base64) so pseudonyms and
shifted dates stay the same across restarts. Every patient a response holds is written to the
audit log (see medtwin audit).

The Arrow services (Flight and GET /arrow/{dataset}) serve the datasets timeline, variants,
imaging_features, lesions and feature matrices of a cohort, and the AI-evaluation tables of an
imaging AI tool (ai_evaluation_*?algorithm=NAME, see medtwin evaluate), with the same tokens, roles,
pseudonymisation and audit; --arrow-max-subjects bounds the subjects of one request per role
(default clinician=1000,researcher=1000000,admin=0; 0 means no limit).

--dev serves GraphiQL at / (set the Authorization header in its headers pane).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var chain auth.Chain
			if tokens != "" {
				t, err := auth.LoadTokens(tokens)
				if err != nil {
					return usageErr("--tokens: %v", err)
				}
				chain = append(chain, t)
			}
			if jwt.JWKSFile != "" || jwt.Issuer != "" {
				if jwt.JWKSFile == "" || jwt.Issuer == "" {
					return usageErr("--jwks and --oidc-issuer go together")
				}
				v, err := auth.NewJWTVerifier(jwt)
				if err != nil {
					return usageErr("--jwks: %v", err)
				}
				chain = append(chain, v)
			}
			if len(chain) == 0 {
				return usageErr("serve needs --tokens FILE and/or --jwks FILE --oidc-issuer URL: every request must be authenticated")
			}
			var (
				p   *pseudo.Pseudonymizer
				key []byte
				err error
			)
			switch {
			case keyFile != "":
				key, err = pseudo.LoadKeyFile(keyFile)
			case os.Getenv("MEDTWIN_PSEUDONYM_KEY") != "":
				key, err = pseudo.ParseKey(os.Getenv("MEDTWIN_PSEUDONYM_KEY"))
			}
			if err != nil {
				return usageErr("--pseudonym-key: %v", err)
			}
			if key != nil {
				if p, err = pseudo.New(key); err != nil {
					return usageErr("--pseudonym-key: %v", err)
				}
			} else {
				p = pseudo.NewRandom()
				a.log.Warn("no --pseudonym-key: researchers' pseudonyms and date shifts last only until this server stops")
			}
			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			srv, err := server.New(server.Config{
				Addr: addr, Store: s, Auth: chain, Dev: dev, Logger: a.log,
				Graph: graph.Options{Pseudo: p, Limits: limits, CursorSecret: key, Logger: a.log},
			})
			if err != nil {
				return err
			}
			lim := flightsvc.DefaultLimits()
			if maxSubjects != "" {
				m, err := flightsvc.ParseMaxSubjects(maxSubjects)
				if err != nil {
					return usageErr("--arrow-max-subjects: %v", err)
				}
				for r, n := range m {
					lim.MaxSubjects[r] = n
				}
			}
			if flightEndpoints < 1 || flightEndpoints > 256 {
				return usageErr("--flight-endpoints: want 1 to 256")
			}
			lim.Endpoints = flightEndpoints
			arrowSvc, err := flightsvc.New(flightsvc.Config{Store: s, Auth: chain, Pseudo: p, Limits: lim, TicketKey: key, Logger: a.log})
			if err != nil {
				return err
			}
			arrowHTTP := arrowSvc.HTTPHandler()
			srv.Handle("GET /arrow", "arrow", arrowHTTP)
			srv.Handle("GET /arrow/{dataset...}", "arrow", arrowHTTP)
			if err := srv.Listen(); err != nil {
				return err
			}
			var fln net.Listener
			if flightAddr != "" && flightAddr != "off" {
				if fln, err = net.Listen("tcp", flightAddr); err != nil {
					return fmt.Errorf("--flight-addr: %w", err)
				}
			}
			base := "http://" + srv.Addr()
			fmt.Fprintf(a.stdout, "medtwin: serving GraphQL at %s/graphql (health %s/healthz, metrics %s/metrics)\n", base, base, base)
			fmt.Fprintf(a.stdout, "medtwin: serving the clinician web view at %s/ui/\n", base)
			fmt.Fprintf(a.stdout, "medtwin: serving Arrow over HTTP at %s/arrow/{dataset}\n", base)
			if fln != nil {
				fmt.Fprintf(a.stdout, "medtwin: serving Arrow Flight at grpc://%s\n", fln.Addr())
			}
			if dev {
				fmt.Fprintf(a.stdout, "medtwin: GraphiQL at %s/\n", base)
			}
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ferr := make(chan error, 1)
			if fln != nil {
				fs := flightsvc.NewFlightServer(arrowSvc)
				go func() {
					err := fs.Serve(ctx, fln, 10*time.Second)
					if err != nil {
						cancel()
					}
					ferr <- err
				}()
			} else {
				ferr <- nil
			}
			err = srv.Serve(ctx)
			cancel()
			if fe := <-ferr; err == nil && fe != nil {
				err = fmt.Errorf("flight: %w", fe)
			}
			fmt.Fprintln(a.stdout, "medtwin: server stopped")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (port 0: any free port)")
	f.StringVar(&tokens, "tokens", "", "tokens file: CSV token,role,name")
	f.StringVar(&jwt.JWKSFile, "jwks", "", "JWKS file of the OIDC issuer whose JWTs are accepted")
	f.StringVar(&jwt.Issuer, "oidc-issuer", "", "required iss of accepted JWTs")
	f.StringVar(&jwt.Audience, "oidc-audience", "", "required aud of accepted JWTs")
	f.StringVar(&jwt.RoleClaim, "oidc-role-claim", "medtwin_role", "JWT claim holding the role")
	f.StringVar(&jwt.NameClaim, "oidc-name-claim", "sub", "JWT claim naming the caller in the audit log")
	f.StringVar(&keyFile, "pseudonym-key", "", "file with the pseudonymisation key (hex or base64, 32+ bytes; env MEDTWIN_PSEUDONYM_KEY)")
	f.BoolVar(&dev, "dev", false, "serve GraphiQL at /")
	f.StringVar(&flightAddr, "flight-addr", "127.0.0.1:8815", "Arrow Flight listen address (port 0: any free port; off: no Flight)")
	f.StringVar(&maxSubjects, "arrow-max-subjects", "", "subjects one Arrow request may read, per role: role=N,… (0: no limit)")
	f.IntVar(&flightEndpoints, "flight-endpoints", flightsvc.DefaultLimits().Endpoints, "subject ranges GetFlightInfo cuts a cohort into")
	f.DurationVar(&limits.RequestTimeout, "request-timeout", d.RequestTimeout, "time limit of one request")
	f.IntVar(&limits.MaxPageSize, "max-page-size", d.MaxPageSize, "largest first/last of a list")
	f.IntVar(&limits.MaxDepth, "max-depth", d.MaxDepth, "deepest selection nesting")
	f.IntVar(&limits.MaxComplexity, "max-complexity", d.MaxComplexity, "largest query cost (page size × selection, multiplied through nested lists)")
	return cmd
}
