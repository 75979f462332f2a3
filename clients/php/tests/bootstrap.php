<?php

declare(strict_types=1);

// PHPUnit runs without Composer: the library's own autoloader, and the shared vectors.
require __DIR__ . '/../autoload.php';
require __DIR__ . '/Vectors.php';
