// Package user is the user aggregate: its state, the events that change it and
// the rules that decide them. It is pure Go and imports nothing of this module.
//
// The aggregate follows decide/apply: a command method (Register, Update,
// Deactivate, Reactivate) validates its input against the current state and
// returns the events it decides, without changing anything; Apply folds an event
// into the state. A command whose result equals the current state decides no
// events at all (change detection), so callers can write nothing.
package user
