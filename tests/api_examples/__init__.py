"""One valid call per public function, by chapter (the validation walk reads them all)."""
