package api

import (
	"context"
	"encoding/base64"
	"math"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// Secret chats' parameter structs. Keys, lists, bundles and envelopes
// travel as standard base64 of e2ee's encodings.
type (
	secretSetDeviceListParams struct {
		List string `json:"list" required:"true"`
	}
	secretUploadKeysParams struct {
		Keys string `json:"keys" required:"true"`
	}
	secretUserParams struct {
		UserID int64 `json:"user_id" required:"true"`
	}
	secretGetBundlesParams struct {
		UserID    int64   `json:"user_id" required:"true"`
		DeviceIDs []int64 `json:"device_ids"`
	}
	secretEnvelopeParam struct {
		UserID   int64  `json:"user_id" required:"true"`
		DeviceID int64  `json:"device_id" required:"true"`
		RandomID int64  `json:"random_id" required:"true"`
		Body     string `json:"body" required:"true"`
	}
	secretSendParams struct {
		Envelopes []secretEnvelopeParam `json:"envelopes" required:"true"`
	}
	secretFetchParams struct {
		AfterID int64 `json:"after_id"`
		Limit   int   `json:"limit"`
	}
	secretAckParams struct {
		UpToID int64 `json:"up_to_id" required:"true"`
	}
)

// decodeB64 reads a base64 parameter. Errors: CodeParamInvalid.
func decodeB64(name, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, haven.Errorf(haven.CodeParamInvalid, "%s is not standard base64", name)
	}
	return b, nil
}

// deviceID reads a device id parameter. Errors: CodeParamInvalid.
func deviceID(id int64) (uint32, error) {
	if id <= 0 || id > math.MaxUint32 {
		return 0, haven.Errorf(haven.CodeParamInvalid, "a device id is from 1 to %d", uint32(math.MaxUint32))
	}
	return uint32(id), nil
}

// secretTable is the secret chats' part of the method table.
func (s *Server) secretTable() []*method {
	co := s.core
	return []*method{
		def("secret.setDeviceList", true, func(ctx context.Context, c *call, p *secretSetDeviceListParams) (any, error) {
			list, err := decodeB64("list", p.List)
			if err != nil {
				return nil, err
			}
			return true, co.SetSecretDeviceList(ctx, c.actor, list)
		}),
		def("secret.uploadKeys", true, func(ctx context.Context, c *call, p *secretUploadKeysParams) (any, error) {
			keys, err := decodeB64("keys", p.Keys)
			if err != nil {
				return nil, err
			}
			return co.UploadSecretKeys(ctx, c.actor, keys)
		}),
		def("secret.getDevices", true, func(ctx context.Context, c *call, p *secretUserParams) (any, error) {
			return co.SecretDevices(ctx, c.actor, p.UserID)
		}),
		def("secret.getBundles", true, func(ctx context.Context, c *call, p *secretGetBundlesParams) (any, error) {
			ids := make([]uint32, 0, len(p.DeviceIDs))
			for _, id := range p.DeviceIDs {
				d, err := deviceID(id)
				if err != nil {
					return nil, err
				}
				ids = append(ids, d)
			}
			return co.SecretBundles(ctx, c.actor, p.UserID, ids)
		}),
		def("secret.send", true, func(ctx context.Context, c *call, p *secretSendParams) (any, error) {
			if len(p.Envelopes) > core.SecretEnvelopesPerSend {
				return nil, haven.Errorf(haven.CodeSecretEnvelopesTooMany, "at most %d envelopes in one send", core.SecretEnvelopesPerSend)
			}
			out := make([]core.OutgoingEnvelope, len(p.Envelopes))
			for i, e := range p.Envelopes {
				d, err := deviceID(e.DeviceID)
				if err != nil {
					return nil, err
				}
				body, err := decodeB64("body", e.Body)
				if err != nil {
					return nil, err
				}
				out[i] = core.OutgoingEnvelope{UserID: e.UserID, DeviceID: d, RandomID: e.RandomID, Body: body}
			}
			n, err := co.SendSecret(ctx, c.actor, out)
			if err != nil {
				return nil, err
			}
			return secretSent{Queued: n}, nil
		}),
		def("secret.shareFile", true, func(ctx context.Context, c *call, p *fileParams) (any, error) {
			return co.ShareSecretFile(ctx, c.actor, p.FileID)
		}),
		def("secret.fetch", true, func(ctx context.Context, c *call, p *secretFetchParams) (any, error) {
			return co.FetchSecret(ctx, c.actor, p.AfterID, p.Limit)
		}),
		def("secret.ack", true, func(ctx context.Context, c *call, p *secretAckParams) (any, error) {
			n, err := co.AckSecret(ctx, c.actor, p.UpToID)
			if err != nil {
				return nil, err
			}
			return secretAcked{Deleted: n}, nil
		}),
	}
}

// secretSent answers secret.send; secretAcked secret.ack.
type (
	secretSent struct {
		Queued int `json:"queued"`
	}
	secretAcked struct {
		Deleted int `json:"deleted"`
	}
)
