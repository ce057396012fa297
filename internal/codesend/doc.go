// Package codesend delivers the one-time codes Haven sends to sign in and to
// recover a password. Every sender here implements core.CodeSender:
//
//   - Log writes the code to the server log, for a person running Haven for
//     themselves on a laptop or in development.
//   - Webhook POSTs the code as JSON to an operator's SMS or email gateway.
//   - SMTP mails the code through an operator's mail server.
//   - Router sends to phone numbers through one sender and to email
//     addresses through another.
//
// Parse turns the operator's --code-sender flag ("log" or "webhook=URL")
// into a sender; SMTP has its own settings (SMTPConfig). A typical wiring is
//
//	phone, err := codesend.Parse(flag, codesend.ParseOptions{Logger: logger})
//	email, err := codesend.NewSMTP(smtpConfig)
//	sender := codesend.Router{Phone: phone, Email: email}
//
// A code is a secret until it is used: apart from Log, whose whole job is to
// print it, nothing in this package logs a code or puts it in an error.
package codesend
