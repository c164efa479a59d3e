// Package watch decides whether a rollout is healthy or failed, fast, from
// what the cluster reports (README "How a release is deployed, watched and undone").
//
// Watch follows the applied objects and the pods of their newest revision
// with informers (list once, then watch; informers re-list and re-watch by
// themselves after an apiserver outage, which is therefore never a failure).
// Readiness of every object, of any kind, is kstatus's (status.Compute). On
// top of it come fail-fast rules that kstatus does not have, evaluated on the
// pods of the new revision only: a container waiting in CrashLoopBackOff,
// ImagePullBackOff, ErrImagePull, CreateContainerConfigError,
// CreateContainerError, RunContainerError or InvalidImageName; a restart
// count rising past a limit; an OOMKilled container; a pod unschedulable for
// longer than a grace period; ReplicaFailure on the Deployment or its new
// ReplicaSet; a Job's first failed pod (JobFailure); Progressing=False
// ProgressDeadlineExceeded as the backstop; the overall timeout last. The new
// revision's pods are a Deployment's new ReplicaSet's, those labelled with a
// StatefulSet's updateRevision or a DaemonSet's newest ControllerRevision, and
// all of a Job's.
//
// Failure is sticky. Facts about a pod (the first failing status seen, its
// restart counts) are kept from the moment they are observed and are never
// undone by a later status; a crash-looping pod whose Ready bit flickers
// cannot reset anything, unlike controllers that measure progress from
// ready-replica counts (argoproj/argo-rollouts#3765).
//
// Healthy once is not healthy: after every object is Current the watch goes
// on for a Verify window, and a failure inside it still fails the rollout.
//
// Each rule is also a pure function (PodFailure, DeploymentFailure,
// ReplicaSetFailure, JobFailure, StatusFailure), so it can be tested on constructed
// objects.
package watch
