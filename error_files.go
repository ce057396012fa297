package haven

// The error codes of files: uploads in parts and downloads.
const (
	CodeFileTooLarge        = "FILE_TOO_LARGE"         // the declared size is over the limit
	CodeFileSizeInvalid     = "FILE_SIZE_INVALID"      // the declared size is below 1
	CodeFilePartSizeInvalid = "FILE_PART_SIZE_INVALID" // the part size, or a part's length, is wrong
	CodeFilePartTooBig      = "FILE_PART_TOO_BIG"      // a part over 512 KiB
	CodeFilePartInvalid     = "FILE_PART_INVALID"      // a part number outside the upload
	CodeFilePartsInvalid    = "FILE_PARTS_INVALID"     // a finish naming the wrong part count
	CodeFilePartsMissing    = "FILE_PARTS_MISSING"     // a finish before every part arrived
	CodeFileHashMismatch    = "FILE_HASH_MISMATCH"     // the bytes do not have the SHA-256 given
	CodeUploadNotFound      = "UPLOAD_NOT_FOUND"
	CodeUploadExpired       = "UPLOAD_EXPIRED"
	CodeFileNotFound        = "FILE_NOT_FOUND"
	CodeFileURLExpired      = "FILE_URL_EXPIRED"
	CodeFileURLInvalid      = "FILE_URL_INVALID"
	CodeQuotaExceeded       = "QUOTA_EXCEEDED"   // the upload would take the person over their storage quota
	CodeUploadsTooMany      = "UPLOADS_TOO_MANY" // the person has too many unfinished uploads
)
