package cache

// SchemaForTest is the schema, for the test of an upgrade from an
// earlier one.
const SchemaForTest = schema
