// Package scale holds the three-broker cluster's own test (build tag
// scale): the cluster of scripts/kafka-cluster-up.sh keeps acknowledged
// writes with one broker down and refuses them with two (make
// kafka-cluster-test). The replicated-roles fault suite (make scale) lives
// beside the chaos suite, whose invariant checks it runs after each fault:
// cmd/userservice/chaos/scaleout*_test.go.
package scale
