# Damselfly build entry points. Finds a JDK 25 by itself; see README.md.
SHELL := /bin/bash

JAVA_HOME_25 := $(shell \
  for d in "$$JAVA_HOME" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25* /usr/lib/jvm/*; do \
    if [ -n "$$d" ] && [ -x "$$d/bin/java" ] && [ -x "$$d/bin/javac" ]; then \
      v=$$("$$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'); \
      if [ -n "$$v" ] && [ "$${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$$d"; break; fi; \
    fi; \
  done)

ifeq ($(JAVA_HOME_25),)
$(error No JDK 25 found: install Temurin 25 (or any JDK 25+) under /usr/lib/jvm, or set JAVA_HOME to one)
endif

export JAVA_HOME := $(JAVA_HOME_25)
export PATH := $(JAVA_HOME)/bin:$(PATH)
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
MVN := mvn -B -q

.PHONY: build test run bench compat clean bench-snapshot bench-replication bench-native

build:
	$(MVN) package -DskipTests

test:
	$(MVN) package

run: build
	bin/damselfly --bind 127.0.0.1 --port 6379

bench: build
	bench/run.sh

bench-snapshot: build
	bench/snapshot.sh

bench-replication: build
	bench/replication.sh

bench-native: build
	bench/native-sync.sh

compat: build
	tools/compat.sh "$(REDIS_SRC)"

clean:
	$(MVN) clean
