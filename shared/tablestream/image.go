// Package tablestream is how Orgplane consumes its table's stream: stream
// images converted to the SDK's attribute values (once, here), a batch run
// record by record with per-record failure reporting, and — for the local
// stack and tests — a Reader that turns DynamoDB Local's stream into the
// same events.DynamoDBEvent batches Lambda delivers.
package tablestream

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Image converts a stream image to the SDK's attribute values, the form
// attributevalue.UnmarshalMap and package ddb's decoders take.
func Image(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for name, v := range img {
		av, err := Value(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = av
	}
	return out, nil
}

// Value converts one attribute value.
func Value(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		l := make([]types.AttributeValue, len(v.List()))
		for i, e := range v.List() {
			av, err := Value(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := Image(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute data type %d", v.DataType())
}

// NewImage converts a record's new image (the item after the change).
func NewImage(rec events.DynamoDBEventRecord) (map[string]types.AttributeValue, error) {
	if rec.Change.NewImage == nil {
		return nil, fmt.Errorf("record %s (%s) has no new image", rec.Change.SequenceNumber, rec.EventName)
	}
	return Image(rec.Change.NewImage)
}

// Unmarshal decodes a record's new image into out, a struct with
// dynamodbav tags.
func Unmarshal(rec events.DynamoDBEventRecord, out any) error {
	img, err := NewImage(rec)
	if err != nil {
		return err
	}
	return attributevalue.UnmarshalMap(img, out)
}
