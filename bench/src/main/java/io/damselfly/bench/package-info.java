/** placeholder */ package io.damselfly.bench;
