package messages_test

import (
	"time"

	"github.com/userservice/userservice/ports/messages"
)

func messagesConfig() messages.ImportRouterConfig {
	return messages.ImportRouterConfig{QuickRetryInterval: 10 * time.Millisecond, RetryDelay: 20 * time.Millisecond,
		MaxRetryDelay: 100 * time.Millisecond, CloseTimeout: 5 * time.Second}
}
