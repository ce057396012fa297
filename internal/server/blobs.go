package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/havenchat/haven/internal/blob/disk"
	"github.com/havenchat/haven/internal/blob/s3"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
)

// openBlobs opens the blob store cfg names: a directory under DataDir, or
// a bucket of an S3-compatible service (created if missing).
func openBlobs(ctx context.Context, cfg *config.Serve) (core.Blobs, error) {
	if cfg.BlobStore != config.BlobStoreS3 {
		return disk.New(filepath.Join(cfg.DataDir, "blobs"))
	}
	var creds *credentials.Credentials
	if cfg.S3AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.S3AccessKey, cfg.S3SecretKey, "")
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	client, err := minio.New(cfg.S3Endpoint, &minio.Options{
		Creds:  creds,
		Secure: cfg.S3TLS,
		Region: cfg.S3Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 endpoint %s: %w", cfg.S3Endpoint, err)
	}
	return s3.New(ctx, client, cfg.S3Bucket)
}
