// Command gen regenerates everything that follows from Orgplane's function
// lists (api.Routes, triggers.StreamConsumers, triggers.Schedules) and the
// table definition: one functions/<name>/main.go per function (deleting
// folders no list names), the SAM template template.yaml, and infra/sam.mk,
// the `build-<LogicalId>` targets SAM's makefile build runs.
//
//	go run ./infra/gen [-root dir] [functions|template]...
//
// With no arguments it writes both. `make functions` and `make template`
// run it; tests in this package fail when a committed file is stale.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/infra/sam"
)

func main() {
	root := flag.String("root", ".", "repository root (holding go.mod)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./infra/gen [-root dir] [functions|template]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*root, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(root string, what []string) error {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("%s is not the repository root: %w", root, err)
	}
	fns, err := deploy.Current().All()
	if err != nil {
		return err
	}
	if len(what) == 0 {
		what = []string{"functions", "template"}
	}
	for _, w := range what {
		switch w {
		case "functions":
			if err := writeFunctions(root, fns); err != nil {
				return err
			}
		case "template":
			if err := writeTemplate(root, fns); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown target %q (want functions or template)", w)
		}
	}
	return nil
}

// templateFiles maps the generated template files to their content.
func templateFiles(fns []deploy.Function) map[string][]byte {
	return map[string][]byte{sam.TemplateFile: sam.Template(fns), sam.MakeFile: sam.Makefile(fns)}
}

func writeTemplate(root string, fns []deploy.Function) error {
	for rel, content := range templateFiles(fns) {
		if err := writeIfChanged(filepath.Join(root, filepath.FromSlash(rel)), content); err != nil {
			return err
		}
	}
	return nil
}
