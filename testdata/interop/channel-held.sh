# Starts a worker (its command line: "$@") after leaving a process in the
# background that holds the worker's channel (it inherits the descriptor)
# for 2 seconds after the worker is gone. For channel-ends.js and
# TestChannelEndsAsNode.
sleep 2 &
exec "$@"
