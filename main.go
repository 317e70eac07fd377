// Command motcua is the Một Cửa Xã desk application. This file only wires
// the Wails window; everything else lives under app/.
package main

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"

	"motcua/app/cli"
	"motcua/scanning"
)

//go:embed all:frontend/dist
var dist embed.FS

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// Tesseract and MuPDF read their environment when they load: restart
	// with OMP_THREAD_LIMIT=1 (and glibc arena limits) before anything else.
	if err := scanning.EnsureEngineEnv(); err != nil {
		os.Stderr.WriteString("motcua: cannot set the OCR engine environment: " + err.Error() + "\n")
	}
	assets, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		panic(err)
	}
	os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Env{
		Version: version,
		Assets:  assets,
		Desktop: func(c cli.DesktopConfig) error { return runWindow(c, assets) },
	}))
}

func runWindow(c cli.DesktopConfig, assets fs.FS) error {
	return wails.Run(&options.App{
		Title:     c.Title,
		Width:     1280,
		Height:    820,
		MinWidth:  1024,
		MinHeight: 640,
		AssetServer: &assetserver.Options{
			Assets: assets,
			// /api/ goes to the same handler `motcua serve` uses; the
			// webkit2_41 build tag makes methods and bodies arrive intact.
			Middleware: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/api/") {
						c.API.ServeHTTP(w, r)
						return
					}
					next.ServeHTTP(w, r)
				})
			},
		},
		OnShutdown: func(context.Context) {
			if c.OnShutdown != nil {
				c.OnShutdown()
			}
		},
	})
}
