package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/graph"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/server"
)

func newServeCmd(a *app) *cobra.Command {
	var (
		addr, tokens, keyFile string
		jwt                   auth.JWTConfig
		dev                   bool
		limits                graph.Limits
	)
	d := graph.DefaultLimits()
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve GraphQL, /healthz and /metrics",
		Long: `Serve the clinician GraphQL API at /graphql, /healthz and /metrics (Prometheus).

Every request needs a bearer token: from a tokens file (--tokens, CSV with the header
token,role,name; roles clinician, researcher, admin) and/or JWTs of an OIDC issuer checked
against its JWKS (--jwks with --oidc-issuer). Researchers see pseudonymised data: give a
stable key with --pseudonym-key (a file holding 32+ bytes as hex or base64) so pseudonyms and
shifted dates stay the same across restarts. Every patient a response holds is written to the
audit log (see medtwin audit).

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
			if err := srv.Listen(); err != nil {
				return err
			}
			base := "http://" + srv.Addr()
			fmt.Fprintf(a.stdout, "medtwin: serving GraphQL at %s/graphql (health %s/healthz, metrics %s/metrics)\n", base, base, base)
			if dev {
				fmt.Fprintf(a.stdout, "medtwin: GraphiQL at %s/\n", base)
			}
			err = srv.Serve(ctx)
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
	f.DurationVar(&limits.RequestTimeout, "request-timeout", d.RequestTimeout, "time limit of one request")
	f.IntVar(&limits.MaxPageSize, "max-page-size", d.MaxPageSize, "largest first/last of a list")
	f.IntVar(&limits.MaxDepth, "max-depth", d.MaxDepth, "deepest selection nesting")
	f.IntVar(&limits.MaxComplexity, "max-complexity", d.MaxComplexity, "largest query cost (page size × selection, multiplied through nested lists)")
	return cmd
}
