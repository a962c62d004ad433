package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/shared/table"
)

// ensureTable makes the local table from table.Definition unless it
// exists (see table.Def.Ensure). It reports whether the table was there
// before: its stream may hold history the consumers already saw.
func ensureTable(ctx context.Context, db *dynamodb.Client, name string) (existed bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	existed, err = table.Definition.Ensure(ctx, db, name)
	if errors.Is(err, table.ErrNoStream) {
		return existed, fmt.Errorf("%w: delete it (with PERSIST, remove .local/dynamodb) or set TABLE_NAME", err)
	}
	return existed, err
}
