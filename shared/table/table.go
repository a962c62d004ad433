// Package table holds the one definition of Orgplane's DynamoDB table: its
// key schema, indexes, TTL attribute and stream view. The CDK stack, the
// SAM template generator, the local stack and the test harness all build
// the table from Definition, so none of them can drift.
package table

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names shared by every item.
const (
	PK      = "PK"
	SK      = "SK"
	GSI1PK  = "GSI1PK"
	GSI1SK  = "GSI1SK"
	GSI2PK  = "GSI2PK"
	GSI2SK  = "GSI2SK"
	Type    = "type"
	TTL     = "ttl"
	Version = "version"
)

// Index names.
const (
	GSI1 = "GSI1"
	GSI2 = "GSI2"
)

// Index is a global secondary index projecting all attributes.
type Index struct {
	Name, PartitionKey, SortKey string
}

// Def is the table shape in plain data.
type Def struct {
	PartitionKey, SortKey string
	Indexes               []Index
	TTLAttribute          string
	StreamView            string // NEW_AND_OLD_IMAGES
}

// Definition is Orgplane's table. All key attributes are strings.
var Definition = Def{
	PartitionKey: PK,
	SortKey:      SK,
	Indexes: []Index{
		{Name: GSI1, PartitionKey: GSI1PK, SortKey: GSI1SK},
		{Name: GSI2, PartitionKey: GSI2PK, SortKey: GSI2SK},
	},
	TTLAttribute: TTL,
	StreamView:   "NEW_AND_OLD_IMAGES",
}

// AttributeNames lists every key attribute of the table and its indexes.
func (d Def) AttributeNames() []string {
	names := []string{d.PartitionKey, d.SortKey}
	for _, ix := range d.Indexes {
		names = append(names, ix.PartitionKey, ix.SortKey)
	}
	return names
}

// CreateTableInput is the DynamoDB API form of the definition, used by the
// local stack and the test harness (the CDK stack maps the same Def).
func (d Def) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(d.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(d.SortKey), KeyType: types.KeyTypeRange},
		},
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(d.StreamView),
		},
	}
	for _, a := range d.AttributeNames() {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS,
		})
	}
	for _, ix := range d.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return in
}
