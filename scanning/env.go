package scanning

import "os"

// OMPThreadLimitEnv is the variable that keeps Tesseract single-threaded.
const OMPThreadLimitEnv = "OMP_THREAD_LIMIT"

// engineEnv lists what the engines read from the environment once, when
// their libraries load — before main runs, so os.Setenv is too late:
//
//   - OMP_THREAD_LIMIT=1: Debian's Tesseract is built with OpenMP and,
//     left alone, every recognizer spins up a thread per core; with one
//     worker per core that oversubscribes the machine and a page takes 4–5
//     times longer.
//   - MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=16 MiB (glibc; ignored
//     elsewhere): Tesseract and MuPDF allocate page-sized buffers from
//     several threads, and with glibc's defaults freed buffers stay in
//     per-thread arenas. Measured with 2 workers at 300 dpi: peak RSS
//     about 600 MB with the defaults, 390–445 MB with these at the same
//     CPU per page. (A 4 MiB threshold saved a little more memory but
//     cost 10–30 % CPU in page faults.)
var engineEnv = [][2]string{
	{OMPThreadLimitEnv, "1"},
	{"MALLOC_ARENA_MAX", "2"},
	{"MALLOC_MMAP_THRESHOLD_", "16777216"},
}

// EnsureEngineEnv makes the process run with the environment the engines
// need (engineEnv). When a variable is missing it starts the program again
// with it set: on Unix by exec (same process id, nothing returns),
// elsewhere by running a child with the same arguments and standard streams
// and exiting with its status. Values already set, whatever they are, are
// respected.
//
// Call it first thing in main, and in TestMain of packages that run
// Tesseract. It returns only when nothing was missing, or with the error
// that prevented the restart.
func EnsureEngineEnv() error {
	env := os.Environ()
	missing := false
	for _, kv := range engineEnv {
		if _, ok := os.LookupEnv(kv[0]); !ok {
			env = append(env, kv[0]+"="+kv[1])
			missing = true
		}
	}
	if !missing {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return reexec(exe, os.Args, env)
}
