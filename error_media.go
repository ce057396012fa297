package haven

// The error codes of media messages.
const (
	CodeCaptionTooLong = "CAPTION_TOO_LONG" // a caption over 1,024 UTF-16 code units
	CodePhotoInvalid   = "PHOTO_INVALID"    // the file is not an image when decoded
	CodePhotoTooLarge  = "PHOTO_TOO_LARGE"  // the image's dimensions are over the limit
	CodeVoiceInvalid   = "VOICE_INVALID"    // a voice note that is not Ogg/Opus
	CodeMediaInvalid   = "MEDIA_INVALID"    // an unknown kind, or a bad duration or size
	CodeAlbumInvalid   = "ALBUM_INVALID"    // not 2 to 10 photos and videos
)
