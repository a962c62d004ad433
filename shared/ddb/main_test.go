package ddb_test

import (
	"testing"

	"github.com/orgplane/orgplane/shared/ddbtest"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }
