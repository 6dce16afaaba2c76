/** placeholder */ package io.damselfly.engine;
