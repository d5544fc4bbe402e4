//go:build js

package train

import "fmt"

func mnistDir() (string, error) {
	return "", fmt.Errorf("train: mnist: no module cache in the browser; pass the folder holding the idx files")
}
