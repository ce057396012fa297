package api

import "github.com/havenchat/haven/internal/core"

// The wire views of the secret chats' relay: the server carries sealed
// envelopes and public keys, and these are their JSON shapes.

// preKeyCountsJSON is the wire view of core.PreKeyCounts.
type preKeyCountsJSON struct {
	OneTime    int  `json:"one_time"`
	OneTimeKEM int  `json:"one_time_kem"`
	Low        bool `json:"low"`
}

// secretQueuedJSON is the wire view of core.SecretQueuedView.
type secretQueuedJSON struct {
	ID int64 `json:"id"`
}

// secretDevicesJSON is the wire view of core.SecretDevicesView.
type secretDevicesJSON struct {
	List   []byte   `json:"list"`
	Active []uint32 `json:"active"`
}

// secretBundlesJSON is the wire view of core.SecretBundlesView.
type secretBundlesJSON struct {
	secretDevicesJSON
	Bundles [][]byte `json:"bundles"`
}

// queuedEnvelopeJSON is the wire view of core.QueuedEnvelope.
type queuedEnvelopeJSON struct {
	ID       int64  `json:"id"`
	Envelope []byte `json:"envelope"`
	Date     int64  `json:"date"`
}

// secretInboxJSON is the wire view of core.SecretInbox.
type secretInboxJSON struct {
	Envelopes []queuedEnvelopeJSON `json:"envelopes"`
	PreKeys   preKeyCountsJSON     `json:"prekeys"`
}

func secretBundlesOut(v *core.SecretBundlesView) secretBundlesJSON {
	return secretBundlesJSON{secretDevicesJSON: secretDevicesJSON(v.SecretDevicesView), Bundles: v.Bundles}
}

func queuedEnvelopeOut(v *core.QueuedEnvelope) queuedEnvelopeJSON { return queuedEnvelopeJSON(*v) }

func secretInboxOut(v *core.SecretInbox) secretInboxJSON {
	return secretInboxJSON{Envelopes: mapSlice(v.Envelopes, queuedEnvelopeOut), PreKeys: preKeyCountsJSON(v.PreKeys)}
}
