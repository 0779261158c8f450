// Package harness is what the three suites of refreshspec share: it
// registers a scenario of the catalogue as a Ginkgo spec whose name begins
// with its ID and whose labels are its group and level, and runs the spec at
// its level. A MUST failure fails the run; a SHOULD failure only in strict
// mode; an INFO failure never. A failure that the level keeps from failing
// the run is recorded as a Verdict report entry instead, which the runner
// and the reports read.
//
//	harness.It("P2.1", strict, s.pageRefreshes)
//	harness.Table("P3.2", strict, s.noRefreshOnStatus,
//		harness.Entry("resource answers 403", http.StatusForbidden),
//	)
//
// The harness names the scenario in every failure it reports ("P2.1 (MUST):
// the page should answer 200 ...") and in every measurement (Measured), so
// spec code never writes its own ID into a message: a helper that needs the
// ID asks ID. The code location of a spec is its caller's line, so specs
// keep their order and reports point at the registration.
package harness
