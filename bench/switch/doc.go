// Command switch measures how fast a failing canary or blue-green release
// gets its traffic back onto the stable side: the time from failure
// detection (the watch's Failure.Observed) to the first observed write that
// routes nothing to the new side any more.
//
// On a local cluster (test/localcluster), for each router and each run, it
// deploys a healthy release, then a second one with promote.Deploy in this
// process. Once the second one carries traffic — a canary paused at weight
// 50, or a blue-green release switched in and inside its scaleDownDelay —
// one pod of the new side is given the crash-loop fate. An independent
// watch in this program records when:
//
//   - replica ratio: the canary Deployment's spec.replicas becomes 0;
//   - NGINX: the canary Ingress's canary-weight becomes "0";
//   - Gateway API: the HTTPRoute's backendRef to the -canary Service goes
//     (or its weight becomes 0);
//   - blue-green: the active Service's selector is back on the old colour.
//
// Usage: go run ./bench/switch [-runs 3] [-scenarios ratio,nginx,gateway,bluegreen]
package main
