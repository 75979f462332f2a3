<?php

declare(strict_types=1);

namespace Glyphveil;

/** Base class of every error the helper throws. */
class TokenError extends \RuntimeException
{
}
