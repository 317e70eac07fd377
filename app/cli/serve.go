package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"
)

func runServe(ctx context.Context, args []string, env Env) error {
	fs, data := newFlags("serve", env)
	listen := fs.String("listen", "127.0.0.1:8080", "địa chỉ lắng nghe (mặc định chỉ máy này)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(*data, env)
	if err != nil {
		return err
	}
	defer a.close()
	a.startSync()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *listen, err)
	}
	srv := &http.Server{
		Handler:           Handler(a.api, env.Assets),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Tests and scripts read this line to find the port when --listen uses :0.
	fmt.Fprintf(env.Stdout, "motcua: serving on http://%s\n", ln.Addr())
	a.log.Info("serving", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler serves the API under /api/ and the frontend everywhere else, with
// index.html for unknown paths so client-side routes survive a reload.
func Handler(apiHandler http.Handler, assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			apiHandler.ServeHTTP(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(assets, name); err != nil {
			r = r.Clone(r.Context())
			r.URL.Path = "/"
		}
		files.ServeHTTP(w, r)
	})
}
