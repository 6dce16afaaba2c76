/** placeholder */ package io.damselfly.repl;
