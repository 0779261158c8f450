// Package bench is the benchmark program behind `make bench`: it
// measures, in one run on one machine, what the reference proxy costs over
// a bare proxy and whether the fake backend (contract.md §1) has the
// headroom never to be the bottleneck of a load test, and prints one table.
//
// Absolute times drift on a shared machine, so every comparison is a ratio
// taken in the same run: loads that are compared run interleaved in rounds
// (A B C A B C...), each round a fixed number of requests from a fixed
// number of clients, and the table shows medians over the rounds (ratios
// are medians of per-round ratios). The rows:
//
//  1. GET /api/me through the reference, through a bare httputil.ReverseProxy
//     that only adds the Bearer header, and straight to the fake backend.
//  2. A refresh storm: 500 sessions, 8 concurrent requests each, right after
//     the control API expired every access token (no sleeping); the backend
//     must count exactly 500 refreshes (control Counts) and every answer be 200.
//  3. The fake backend alone: refresh/s and /api/user/me/s, against the
//     reference's req/s.
//  4. Resident memory (VmRSS) of the reference and fake backend binaries,
//     each a separate process: the reference with 10k live sessions, the
//     fake backend per 10k families and after a sweep.
//  5. Wall time of the whole P suite (container and local fake backend) and
//     of the B suite, running the refreshspec binary. It runs last and takes
//     whatever time the other rows left.
//  6. Row 2's storm spread over two instances of the reference that share a
//     real Redis (redis-server on loopback; REDIS_URL), with the grace
//     window off: the backend must count exactly 500 refreshes and every
//     answer be 200. The single-instance storm runs again in the same row,
//     chunk by chunk in turn with it, and the table gives what the Redis
//     path adds to p50 and p99.
//
// Everything listens on and dials loopback only. The whole run has a hard
// budget (3 minutes by default, less a margin): each row has a bound and
// stops by itself, saying so in the table. Rows 1 to 3 and 6 serve the
// reference and the fake backend in this process, so -cpuprofile profiles
// them too.
package bench
