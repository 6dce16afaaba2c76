/** placeholder */ package io.damselfly.server;
