package config

import (
	"errors"
	"net"
	"strings"
)

// The values of Serve.BlobStore.
const (
	// BlobStoreDisk keeps uploaded files in DataDir/blobs.
	BlobStoreDisk = "disk"
	// BlobStoreS3 keeps them in a bucket of an S3-compatible service.
	BlobStoreS3 = "s3"
)

// parseS3Endpoint checks an S3 endpoint: host or host:port, without a
// scheme (s3-tls chooses https or http) or a path.
func parseS3Endpoint(v string) (string, error) {
	if strings.Contains(v, "://") {
		return "", errors.New("give host or host:port without a scheme; s3-tls chooses https or http")
	}
	host := v
	if h, port, err := net.SplitHostPort(v); err == nil {
		if _, err := parsePort(port, false); err != nil {
			return "", err
		}
		host = h
	}
	if host == "" || strings.ContainsAny(host, " /:") && net.ParseIP(host) == nil {
		return "", errors.New("want host or host:port, e.g. s3.amazonaws.com or minio:9000")
	}
	return v, nil
}

// parseBucket checks an S3 bucket name: 3 to 63 lowercase letters,
// digits, dots and hyphens, starting and ending with a letter or digit.
func parseBucket(v string) (string, error) {
	bad := errors.New("want 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
	if len(v) < 3 || len(v) > 63 {
		return "", bad
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && ((c != '.' && c != '-') || i == 0 || i == len(v)-1) {
			return "", bad
		}
	}
	return v, nil
}
