// The Arrow IPC stream reader lives here.
