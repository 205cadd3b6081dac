package child

import "os"

func getenvAndUnset(k string) string {
	v := os.Getenv(k)
	os.Unsetenv(k)
	return v
}
