package proxytest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/internal/mutant"
	"github.com/refreshspec/refreshspec/internal/suitetest"
)

// TestVariants is the mutation test's other half: it runs TestProxySuite
// again, in a child process, against the reference built with each correct
// variant of internal/reference/variants (the reference written another way, as real
// stacks write it), focused on the scenario the variant names, which must
// pass: strict, so a SHOULD counts. A check stricter than its requirement
// text fails here, where a correct app built another way would have got a
// false failure. A variant may name several scenarios (a session carried
// by several cookies touches every spec that replays a session): one child
// runs them all, and each must pass. A variant written as a stack that
// names its routes or defences its own way carries a profile (its
// "Profile:" header), which the child runs with. One shared fake backend, as
// TestMutants' sequential children use, in the default mapping.
func TestVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it builds and runs every correct variant of the reference")
	}
	if os.Getenv(envMutant) != "" || os.Getenv(envInstances) != "" {
		t.Skip("this process is itself a child run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := mutant.Root(ctx)
	if err != nil {
		t.Fatal(err)
	}
	variants, err := mutant.LoadVariants(root)
	if err != nil {
		t.Fatal(err)
	}
	builds := mutant.Prebuild(ctx, root, mutant.ReferenceCommand, variants, t.TempDir(), buildsAhead)
	env := append([]string{suitetest.EnvDialect + "=" + suitetest.DialectJSON, envInstances + "=1", envStrict + "=1"},
		sharedBackend(ctx, t, suitetest.DialectJSON)...)
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			bin, err := builds.Wait(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			ids := v.Scenarios()
			focus := make([]string, len(ids))
			for i, id := range ids {
				focus[i] = suitetest.FocusScenario(id)
			}
			child := suitetest.Child{
				Test: "TestProxySuite",
				Env:  append(append(os.Environ(), env...), envMutant+"="+v.Name, envReferenceBin+"="+bin, envProfile+"="+v.ProfilePath(root)),
				Args: []string{"-test.count=1", "-ginkgo.no-color", "-ginkgo.focus=" + strings.Join(focus, "|")},
			}
			reports, out, err := child.Run(ctx)
			if err != nil {
				t.Fatalf("%v; the child's output ends:\n%s", err, tail(out, 40))
			}
			for _, id := range ids {
				if problem := scenarioPassed(reports, id); problem != "" {
					t.Errorf("%s must pass the correct variant %s (%s), but %s; the child's output ends:\n%s",
						id, v.Name, v.Defect, problem, tail(out, 60))
				}
			}
		})
	}
}

// scenarioPassed is "" when every spec of scenario id in the reports ran and
// passed (a table's entries each), else what went otherwise.
func scenarioPassed(reports []types.Report, id string) string {
	ran := 0
	var problems []string
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt || suitetest.ScenarioID(s) != id {
				continue
			}
			ran++
			if s.State != types.SpecStatePassed {
				problems = append(problems, fmt.Sprintf("%q %s: %s", s.LeafNodeText, s.State, s.Failure.Message))
			}
		}
	}
	switch {
	case ran == 0:
		return "no spec of it ran"
	case len(problems) > 0:
		return strings.Join(problems, "; ")
	}
	return ""
}
