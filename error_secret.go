package haven

// The error codes of secret chats (docs/api.md, "Secret chats").
const (
	CodeSecretKeysInvalid       = "SECRET_KEYS_INVALID"        // an upload that does not parse or whose signatures fail
	CodeSecretDeviceListInvalid = "SECRET_DEVICE_LIST_INVALID" // a device list that does not parse, is not the caller's, or fails its signature
	CodeSecretDeviceListOld     = "SECRET_DEVICE_LIST_OLD"     // a device list whose version is not above the stored one
	CodeSecretDeviceTaken       = "SECRET_DEVICE_TAKEN"        // another session of the account has this device id
	CodeSecretNoDevice          = "SECRET_NO_DEVICE"           // the calling session has uploaded no keys
	CodeSecretDeviceNotFound    = "SECRET_DEVICE_NOT_FOUND"    // the person has no such device (or no secret-chat devices)
	CodeSecretEnvelopeInvalid   = "SECRET_ENVELOPE_INVALID"    // an envelope body that is empty or not an e2ee message
	CodeSecretEnvelopeTooLarge  = "SECRET_ENVELOPE_TOO_LARGE"  // an envelope body over e2ee.MaxMessageSize
	CodeSecretEnvelopesTooMany  = "SECRET_ENVELOPES_TOO_MANY"  // more envelopes in one send than allowed
	CodeSecretQueueFull         = "SECRET_QUEUE_FULL"          // the recipient device has as many envelopes waiting as allowed
)
