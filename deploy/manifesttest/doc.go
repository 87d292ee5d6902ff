// Package manifesttest holds the tests that keep the deployment artifacts in
// deploy/ true to the code: the Dockerfiles, the Compose file, the
// Kubernetes manifests (after kustomize build), the Prometheus rules and
// scrape configs, and the Grafana dashboard. They parse each artifact into its
// real schema and compare ports, probe paths, config keys, environment
// variables, image names and metric names with what the services' code and
// running binaries actually have. The package has no non-test code.
package manifesttest
