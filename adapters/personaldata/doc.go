// Package personaldata keeps people's personal data erasable in an
// append-only store (crypto-shredding): the personal fields of every user
// event are encrypted (AES-256-GCM) with a data key of that user's own, kept
// in the user_data_keys table wrapped by a master key from configuration.
// Erasing a user deletes their data key; every stored copy of their
// personal fields (events, outbox, Kafka, backups) is then ciphertext that
// nobody can read, while ids, types, versions and times stay readable, so
// replays and re-publications still work. Which fields are personal is
// fixed by PersonalFields (and listed in docs/personal-data.md).
//
// The package is the crypto only: the postgres adapter calls it through one
// narrow seam per path (postgres.PersonalData), and readers decrypt with
// Keys.Open. Nothing here reads the environment: cmd/ builds the Keyring.
package personaldata
