// Package walletstream is the create-wallet stream consumer: every new
// organization gets its wallet (balance 0, in credits). The wallet's put
// is conditional (see ddb.Store.EnsureWallet), so a redelivered or
// concurrently processed record changes nothing.
package walletstream

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/tablestream"
)

// Name is the consumer's function name.
const Name = "create-wallet"

// Handler opens the wallet of each organization inserted in the batch.
func Handler(store *ddb.Store) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return tablestream.Each(ctx, Name, ev, func(ctx context.Context, rec events.DynamoDBEventRecord) error {
			img, err := tablestream.NewImage(rec)
			if err != nil {
				return err
			}
			orgID, err := ddb.DecodeOrganizationID(img)
			if err != nil {
				return err
			}
			_, _, err = store.EnsureWallet(ctx, orgID, nil)
			if errors.Is(err, ddb.ErrNotFound) {
				return nil // deleted before its wallet was opened: nothing to open
			}
			return err
		}), nil
	}
}
