package messages

import (
	"errors"

	"github.com/ThreeDotsLabs/watermill/components/delay"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/userservice/userservice/app/command"
)

// delayedUntilKey is watermill's delay metadata, which the PostgreSQL import
// queue honours.
const delayedUntilKey = delay.DelayedUntilKey

// parkingPublisher is the poison queue's publisher: a poisoned row is parked
// through the application (counted, kept with its error for a retry), not
// published anywhere. A failure to park fails the publish, so the poison
// middleware nacks the row and it is offered again.
type parkingPublisher struct {
	park command.ParkImportRowHandler
}

func (p parkingPublisher) Publish(_ string, msgs ...*message.Message) error {
	var errs []error
	for _, msg := range msgs {
		row, err := decodeRow(msg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := p.park.Handle(msg.Context(), command.ParkImportRow{Row: row,
			Reason: msg.Metadata.Get(middleware.ReasonForPoisonedKey)}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p parkingPublisher) Close() error { return nil }
