package api

import "testing"

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ mime, name, want string }{
		{"image/png", "cat.png", `inline; filename="cat.png"; filename*=UTF-8''cat.png`},
		{"application/pdf", `a "b"\c.pdf`, `attachment; filename="a _b__c.pdf"; filename*=UTF-8''a%20%22b%22%5Cc.pdf`},
		{"text/plain; charset=utf-8", "naïve;x=1.txt", `attachment; filename="na_ve;x=1.txt"; filename*=UTF-8''na%C3%AFve%3Bx%3D1.txt`},
	} {
		if got := contentDisposition(tc.mime, tc.name); got != tc.want {
			t.Errorf("contentDisposition(%q, %q) =\n %s\nwant\n %s", tc.mime, tc.name, got, tc.want)
		}
	}
}
