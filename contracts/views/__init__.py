"""HTML views of contracts: the contract and its terms, and its amendments."""
