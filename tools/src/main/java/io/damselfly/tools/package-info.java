/** placeholder */ package io.damselfly.tools;
