/** rivulet CLI entry point (filled in by issue 8). */
export {};
