// Package mutant turns the reference proxy's deliberate defects into
// binaries for the mutation self-tests. The reference itself is only the
// correct pattern; each defect lives apart, as a small unified-diff patch in
// internal/reference/mutants (see its README), whose header names the defect, the
// scenario that must catch it and why it is a realistic bug.
//
// Load reads the patches, Patch.Apply applies one to the files of the tree
// (hunks are found by their context lines, so a change elsewhere in a file
// does not break them; one that no longer matches is an error naming the
// patch, the file and the hunk), and Build compiles the patched reference
// with go build -overlay, so the tree itself is never modified. Builds are
// cached by content within a process, and Prebuild runs them ahead of the
// child runs that use them.
//
//	root, _ := mutant.Root(ctx)
//	ms, _ := mutant.Load(root)
//	bin, _ := mutant.Build(ctx, root, mutant.ReferenceCommand, ms[0], t.TempDir())
//
// go test ./internal/mutant/ checks that every patch applies to the current
// reference and type-checks, and that each names a scenario of the catalogue.
package mutant
