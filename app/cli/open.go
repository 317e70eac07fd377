package cli

import (
	"os/exec"
	"runtime"
)

// openWithOS hands a file to the operating system's default application
// (the PDF viewer, which prints). It does not wait for the viewer to close.
func openWithOS(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	case "darwin":
		cmd = exec.Command("open", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap the launcher; its exit status says nothing about printing
	return nil
}
