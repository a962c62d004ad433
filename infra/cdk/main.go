// Command cdk is Orgplane's CDK app. `make synth` runs it directly (offline)
// with CDK_OUTDIR=cdk.out; `make deploy` runs it through the CDK CLI
// (infra/cdk.json). Function code comes from build/<name>/bootstrap, which
// `make build` writes. Context keys are listed in package stack (config.go)
// and the README (Deploy).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/cdk/stack"
	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/shared/repo"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "orgplane cdk:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := repo.Root() // make synth runs from the root, the CDK CLI from infra/
	if err != nil {
		return err
	}
	codeDir := filepath.Join(root, "build")
	lists := deploy.Current()
	fns, err := lists.All()
	if err != nil {
		return err
	}
	for _, f := range fns {
		if _, err := os.Stat(filepath.Join(codeDir, f.Name, "bootstrap")); err != nil {
			return fmt.Errorf("no bootstrap for %s: run make build first (%w)", f.Name, err)
		}
	}

	app := awscdk.NewApp(nil)
	cfg, err := stack.ReadConfig(app.Node(), lists)
	if err != nil {
		return err
	}
	stack.NewOrgplaneStack(app, cfg.StackName(), &stack.Props{
		StackProps: awscdk.StackProps{
			// Account and region come from the CLI's credentials at deploy
			// time; the template itself is environment-agnostic.
			Env: &awscdk.Environment{
				Account: envOrNil("CDK_DEFAULT_ACCOUNT"),
				Region:  envOrNil("CDK_DEFAULT_REGION"),
			},
		},
		Lists:   lists,
		CodeDir: codeDir,
		Config:  cfg,
	})
	app.Synth(nil)
	return nil
}

func envOrNil(name string) *string {
	if v := os.Getenv(name); v != "" {
		return &v
	}
	return nil
}
