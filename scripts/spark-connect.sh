#!/usr/bin/env bash
# The local Apache Spark Connect server that `make test` runs the Spark tests against.
#
#   scripts/spark-connect.sh install   Java (Debian's openjdk-17-jre-headless) and PySpark (PyPI,
#                                      into $SPARK_DIR/venv) where missing
#   scripts/spark-connect.sh start     starts a server on 127.0.0.1 at a free port, waits until
#                                      it listens, prints its address (sc://127.0.0.1:PORT)
#   scripts/spark-connect.sh stop      stops it by its pid
#
# SPARK_DIR (default .build/spark) holds the virtual environment, the pid, the address and
# the server's log. SPARK_VERSION (default 4.0.1) is the PySpark release whose jars run it.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${SPARK_DIR:-.build/spark}
VERSION=${SPARK_VERSION:-4.0.1}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

pyspark_home() { "$DIR/venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'; }

install() {
  if ! command -v java >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing: openjdk-17-jre-headless"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    else
      echo "Spark needs Java 17: sudo apt-get install -y openjdk-17-jre-headless" >&2; exit 1
    fi
  fi
  if ! "$DIR/venv/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$VERSION')" 2>/dev/null; then
    echo "installing: pyspark $VERSION into $DIR/venv"
    rm -rf "$DIR/venv"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install -q --disable-pip-version-check "pyspark==$VERSION"
  fi
}

start() {
  if [ -f "$DIR/server.pid" ] && kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then cat "$DIR/address"; return; fi
  local home port jar
  home=$(pyspark_home)
  jar=$(ls "$home"/jars/spark-connect_2.13-*.jar 2>/dev/null | head -1)
  [ -n "$jar" ] || { echo "no spark-connect jar in $home/jars" >&2; exit 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Loopback only; two shuffle partitions (local[2]) instead of 200 keep small streaming
  # aggregations from spending each batch on empty tasks.
  SPARK_HOME="$home" SPARK_LOCAL_IP=127.0.0.1 nohup "$home/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer \
    --master 'local[2]' --driver-memory 512m \
    --conf spark.connect.grpc.binding.address=127.0.0.1 --conf spark.connect.grpc.binding.port="$port" \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=2 \
    --jars "$jar" > "$DIR/server.log" 2>&1 < /dev/null &
  echo $! > "$DIR/server.pid"
  for _ in $(seq 240); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "sc://127.0.0.1:$port" | tee "$DIR/address"; return
    fi
    kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null || break
    sleep 0.5
  done
  echo "the Spark Connect server did not start; its log:" >&2; tail -20 "$DIR/server.log" >&2; stop; exit 1
}

stop() {
  [ -f "$DIR/server.pid" ] || return 0
  local pid; pid=$(cat "$DIR/server.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$DIR/server.pid" "$DIR/address"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
