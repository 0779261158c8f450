// Package report writes a run's result (runner.Result) for people and for
// CI: the console lines, a JUnit XML file (the Surefire schema that Jenkins,
// GitLab and GitHub test reporters read), a JSON file, and a Markdown summary
// for a CI job's page. Every writer speaks the catalogue's language: scenario
// IDs, levels and requirements of the catalogue (package catalogue, docs/scenarios.md).
package report
